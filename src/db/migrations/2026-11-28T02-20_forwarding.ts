// Processor mode: where each controller receives forwarded requests, and how it answers.
export async function up(): Promise<void> {}

export async function down(): Promise<void> {
  throw new Error('migrations cannot be reverted');
}
