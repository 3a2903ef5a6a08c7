// Row types of the retention tables.
export type RetentionTables = Record<never, never>;
