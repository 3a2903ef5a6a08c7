// Row types of the register tables.
export type RegisterTables = Record<never, never>;
