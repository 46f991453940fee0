// d3-force ships no types; the Predict tab only hands these to graphDrawing (src/report/graph_draw.ts).
declare module 'd3-force' {
  export const forceSimulation: unknown;
  export const forceLink: unknown;
  export const forceManyBody: unknown;
  export const forceCenter: unknown;
}
