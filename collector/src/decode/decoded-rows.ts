/**
 * What decoding one export request yields: the rows to store, and how many
 * items were refused and why (for the OTLP partial_success).
 */
export interface DecodedRows<Row> {
  rows: Row[];
  rejected: number;
  message: string;
}
