// Row types of the impact-assessment tables.
export type AssessmentTables = Record<never, never>;
