import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { ErrorBody, ErrorCode } from '../api-error';

@ApiSchema({ name: 'ErrorDetail' })
class ErrorDetailSchema {
  @ApiProperty({ enum: Object.values(ErrorCode), example: ErrorCode.NotFound })
  code!: ErrorCode;

  @ApiProperty({ description: 'For people, not for programs: it may change', example: 'Incident not found' })
  message!: string;

  @ApiProperty({ type: 'integer', description: 'The HTTP status, repeated', example: 404 })
  status!: number;
}

/** OpenAPI shape of every error answer of the API (ErrorBody), whatever raised it. */
@ApiSchema({ name: 'ErrorBody' })
export class ErrorBodySchema implements ErrorBody {
  @ApiProperty({ type: ErrorDetailSchema })
  error!: ErrorDetailSchema;
}
