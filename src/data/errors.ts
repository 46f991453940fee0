/**
 * DataError: a problem in a dataset file. Carries the file and the 1-based line
 * (0 when the problem is not tied to one line, e.g. a missing file) so the
 * message can say exactly where to look and what was expected.
 */
export class DataError extends Error {
  readonly file: string;
  readonly line: number;
  constructor(file: string, line: number, message: string) {
    super(line > 0 ? `${file}:${line}: ${message}` : `${file}: ${message}`);
    this.name = 'DataError';
    this.file = file;
    this.line = line;
  }
}
