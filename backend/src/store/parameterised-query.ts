/** A statement with its parameters, as node-postgres' client.query takes them. */
export interface ParameterisedQuery {
  text: string;
  values: unknown[];
}
