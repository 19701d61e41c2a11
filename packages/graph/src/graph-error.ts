/** A shape or dtype problem found while building a graph; names the node and the shapes. */
export class GraphError extends Error {
  override name = 'GraphError';
}
