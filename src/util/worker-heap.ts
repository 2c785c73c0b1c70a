// The V8 heap bounds of our worker threads (the content scan's, the process walk's, the image
// scan's). Node sizes a thread's young generation for a busy server (16 MiB semi-spaces, up to
// ~48 MiB a thread) and keeps what it grew for the thread's life, while a worker's objects are
// mostly one batch's outcomes, dead within it. At 8 MiB the image bench's peak RSS was lower at the
// same CPU time, and a default scan of 5,000 processes (two walk workers, two scan workers) peaked
// at 160-167 MB where it peaked at 171-195 MB, no slower (12-05, six alternating runs each; at 1,000
// processes the same time and RSS). At 2 MiB the web normaliser's strings ran past its time budget.
export const WORKER_YOUNG_GENERATION_MB = 8;

/** The resource limits a scan or walk worker starts with. */
export const WORKER_RESOURCE_LIMITS = { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } as const;
