/**
 * What a shipped model's about.json holds (models/<NAME>/about.json; in the web
 * page, models/index.json lists them). Node-free: the page reads it too.
 */
export interface ShippedModelAbout {
  /** The name `--model` takes (the dataset's name). */
  name: string;
  dataset: string;
  /** The metric of the run (mae, rocauc, ...) and its values at the shipped (best validation) epoch. */
  metric: string;
  val: number;
  test: number;
  /** The epoch the weights are from, and the epochs the run was set to train. */
  epoch: number;
  epochs: number;
  /** Whether the run had finished all its epochs when the weights were taken (false: an interim model of a run still going). */
  finished: boolean;
  /** The run folder (in this repository) and how it was made. */
  source: string;
  /** This repository's commit when the weights were shipped, and the date (ISO). */
  commit: string;
  shipped: string;
}
