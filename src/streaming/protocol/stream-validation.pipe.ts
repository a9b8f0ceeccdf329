import { ArgumentMetadata, Injectable, ValidationPipe } from '@nestjs/common';
import { fastBodyValidatorFor } from '../../common/fast-body-validation';
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

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body') {
      // class-transformer and class-validator cost ~25 µs per subscribe; a registered fast check (see
      // client-messages.fast-check.ts) answers the same for the messages it is sure about, and leaves the rest, every
      // invalid one among them, to the path below and its INVALID_MESSAGE texts.
      const accepted = fastBodyValidatorFor(metadata.metatype)?.(value);
      if (accepted !== undefined) return accepted;
    }
    return super.transform(value, metadata) as Promise<unknown>;
  }

  protected override toValidate(metadata: ArgumentMetadata): boolean {
    // Nest reports a gateway's @MessageBody() parameter as 'body'; the socket and the connection are not validated.
    return metadata.type === 'body' && super.toValidate(metadata);
  }
}
