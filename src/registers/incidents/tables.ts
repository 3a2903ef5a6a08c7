// Row types of the incident tables.
export type IncidentTables = Record<never, never>;
