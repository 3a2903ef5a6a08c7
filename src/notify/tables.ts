// Row types of the outbox tables.
export type NotifyTables = Record<never, never>;
