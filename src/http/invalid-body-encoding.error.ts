/** The request body is not valid UTF-8: a 400, before anything in it is looked at. */
export class InvalidBodyEncodingError extends Error {
  constructor() {
    super('The request body is not valid UTF-8.');
    this.name = InvalidBodyEncodingError.name;
  }
}
