import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  ValidateNested,
  ValidationArguments,
  registerDecorator,
} from 'class-validator';
import { CreateAlertDto } from './create-alert.dto';

/** Most alerts one batch may carry, as many as an Alertmanager webhook. */
export const MAX_BATCH_ALERTS = 1000;

const isPlainObject = (item: unknown): boolean =>
  item !== null && typeof item === 'object' && !Array.isArray(item);

/**
 * Every element is a JSON object; the message names the first that is not (`alerts.3 must be an object, got
 * null`). ValidateNested alone lets an array element through and names no index for the others.
 */
function EachIsObject(): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'eachIsObject',
      target: target.constructor,
      propertyName: String(propertyName),
      validator: {
        validate: (value: unknown) => !Array.isArray(value) || value.every(isPlainObject),
        defaultMessage: (args: ValidationArguments) => {
          const items = args.value as unknown[];
          const index = items.findIndex((item) => !isPlainObject(item));
          const item = items[index];
          const got = item === null ? 'null' : Array.isArray(item) ? 'an array' : typeof item;
          return `${args.property}.${index} must be an object, got ${got}`;
        },
      },
    });
}

/** POST /v1/alerts/batch: native alerts, each validated as by POST /v1/alerts; one invalid alert refuses the batch. */
export class AlertBatchDto {
  @ApiProperty({ type: [CreateAlertDto], minItems: 1, maxItems: MAX_BATCH_ALERTS })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_BATCH_ALERTS)
  @EachIsObject()
  @ValidateNested({ each: true })
  @Type(() => CreateAlertDto)
  alerts!: CreateAlertDto[];
}
