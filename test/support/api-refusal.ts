import { ApiError } from '../../services/cli/api.client.js';

/** The ApiError a request to the query service was refused with; fails when it was answered instead. */
export async function refusal(request: Promise<unknown>): Promise<ApiError> {
  try {
    await request;
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected the request to be refused');
}
