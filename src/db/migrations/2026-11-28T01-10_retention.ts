// Legal holds and retention sweeps.
export async function up(): Promise<void> {}

export async function down(): Promise<void> {
  throw new Error('migrations cannot be reverted');
}
