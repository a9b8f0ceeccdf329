import { ArgumentMetadata, Injectable, ValidationPipe } from '@nestjs/common';
import { flattenValidationErrors } from '../../common/validation';
import { StreamError } from './stream-error';

/**
 * Validates client message bodies against their DTO and turns failures into INVALID_MESSAGE (the global HTTP pipe
 * does not reach gateways). Only the message body is validated: gateway pipes also see the socket parameter.
 * Unknown top-level fields are left alone (the contract ignores them); unknown filter keys are rejected by the DTO.
 */
@Injectable()
export class StreamValidationPipe extends ValidationPipe {
  constructor() {
    super({
      transform: true,
      forbidUnknownValues: true,
      // The value lets an absent field read `<field> is required` (it is never echoed back).
      validationError: { target: false, value: true },
      exceptionFactory: (errors) => StreamError.invalidMessage(flattenValidationErrors(errors).join('; ')),
    });
  }

  protected override toValidate(metadata: ArgumentMetadata): boolean {
    // Nest reports a gateway's @MessageBody() parameter as 'body'; the socket and the connection are not validated.
    return metadata.type === 'body' && super.toValidate(metadata);
  }
}
