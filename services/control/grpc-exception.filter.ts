import { Catch, Logger, type ArgumentsHost, type RpcExceptionFilter } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { type Observable, throwError } from 'rxjs';
import { LatfleetError, toGrpcStatus } from '../lib/errors/index.js';

/**
 * Maps domain errors (thrown by handlers or emitted by their streams) to gRPC status; anything
 * unexpected is logged and becomes INTERNAL, never UNKNOWN.
 */
@Catch()
export class GrpcExceptionFilter implements RpcExceptionFilter<unknown> {
  private readonly logger = new Logger(GrpcExceptionFilter.name);

  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    if (exception instanceof RpcException) return throwError(() => exception.getError());
    if (!(exception instanceof LatfleetError)) this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    return throwError(() => toGrpcStatus(exception));
  }
}
