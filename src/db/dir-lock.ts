// One process per embedded data dir. proper-lockfile keeps an mtime-refreshed lock directory, so a crashed
// holder's lock goes stale and the next start can take it.
import lockfile from 'proper-lockfile';

export interface DirLock {
  release(): Promise<void>;
}

export class DataDirLockedError extends Error {
  constructor(dir: string) {
    super(
      `The data directory ${dir} is in use by another Switchboard process. The embedded database serves one process ` +
        `only; stop the other one, use another DATA_DIR, or set DATABASE_URL to share a PostgreSQL server.`,
    );
    this.name = 'DataDirLockedError';
  }
}

export async function lockDataDir(dir: string): Promise<DirLock> {
  try {
    const release = await lockfile.lock(dir, {
      lockfilePath: `${dir}/.switchboard.lock`,
      stale: 15_000,
      update: 5_000,
      retries: 0,
      realpath: false,
      onCompromised: (err) => {
        // Losing the lock means another process may now write the same files: stop rather than corrupt data.
        console.error(`lost the lock on ${dir}: ${err.message}; exiting`);
        process.exit(1);
      },
    });
    return { release: () => release().catch(() => undefined) };
  } catch (err) {
    if ((err as { code?: string }).code === 'ELOCKED') throw new DataDirLockedError(dir);
    throw err;
  }
}
