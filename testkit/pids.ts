/** True once no process has this pid (kill(pid, 0) fails with ESRCH; EPERM means it is alive). */
export function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}

export const isAlive = (pid: number): boolean => !processGone(pid);

/** True once no process is left in the group. */
export const groupGone = (pgid: number): boolean => processGone(-pgid);
