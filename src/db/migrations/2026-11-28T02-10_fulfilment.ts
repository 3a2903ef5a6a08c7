// Fulfilment of rights requests: response files and download links, controller endpoints for
// processor-mode forwarding, and tombstones of erased subjects.
export async function up(): Promise<void> {}

export async function down(): Promise<void> {
  throw new Error('migrations cannot be reverted');
}
