// Accuracy charts start at a meaningful floor, not at an autoscaled one that turns a 2-point
// drop into a cliff: the chance level of the task (1 / classes), lower only when a point falls
// below it; and they carry the dense model's accuracy as a (dash-dot) reference line.

export interface AccuracyAxis {
  /** Percent. */
  min: number;
  max: number;
}

/** The y range in percent for accuracies (fractions) of a `classes`-way task. */
export function accuracyAxis(values: readonly number[], classes: number): AccuracyAxis {
  const chance = classes >= 2 ? 100 / classes : 0;
  const lowest = Math.min(chance, ...values.filter(Number.isFinite).map((v) => v * 100));
  return { min: Math.max(0, Math.floor(lowest / 10) * 10), max: 100 };
}

/** A dash-dot horizontal line across [xMin, xMax] at the dense accuracy (a Chart.js dataset). */
export function denseLine(accuracy: number, xMin: number, xMax: number, label = 'dense model') {
  const y = accuracy * 100;
  return {
    label: `${label} ${y.toFixed(1)}%`,
    data: [
      { x: xMin, y },
      { x: xMax, y },
    ],
    borderColor: '#1d2330',
    backgroundColor: '#1d2330',
    borderDash: [8, 3, 2, 3],
    borderWidth: 1.5,
    pointRadius: 0,
    showLine: true,
  };
}
