// Disclosure, law-enforcement, transfer-of-control and cross-border transfer registers.
export async function up(): Promise<void> {}

export async function down(): Promise<void> {
  throw new Error('migrations cannot be reverted');
}
