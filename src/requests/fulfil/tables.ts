// Row types of the fulfilment tables.
export type FulfilmentTables = Record<never, never>;
