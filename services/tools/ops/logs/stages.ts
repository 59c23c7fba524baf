export const STAGES = ['extract', 'transform', 'load'] as const;
