// Row types of the processor-mode forwarding tables.
export type ForwardTables = Record<never, never>;
