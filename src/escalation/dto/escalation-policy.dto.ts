import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { DefinitionDto } from '../../common/definition.dto';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  IsUrl,
  Length,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { IsStringMap } from '../../common/string-map.validator';
import { IsOptionalButNotNull } from '../../common/validation';
import { SEVERITIES, Severity } from '../../domain';
import { HTTP_URL } from '../../notifications/dto/notification-channel.dto';
import { TARGET_TYPES, TargetType } from '../escalation-policy';

export class EscalationTargetDto {
  @ApiProperty({ enum: TARGET_TYPES })
  @IsIn(TARGET_TYPES)
  type!: TargetType;

  @ApiProperty({ minLength: 1, maxLength: 128, example: 'sre-oncall' })
  @IsString()
  @Length(1, 128)
  name!: string;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: 'Required for webhook targets, which receive a JSON POST; null or absent for the others',
  })
  @ValidateIf((target: EscalationTargetDto) => target.type === 'webhook' || (target.url ?? null) !== null)
  @IsString()
  @MaxLength(2048)
  @IsUrl(HTTP_URL, { message: 'url must be an http(s) URL' })
  url?: string | null;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    description: 'Webhook targets: extra request headers (e.g. Authorization); returned masked',
  })
  @ValidateIf((target: EscalationTargetDto) => target.headers !== undefined)
  @IsStringMap({ maxEntries: 16, maxKeyLength: 128, maxValueLength: 4096 })
  headers?: Record<string, string>;
}

export class EscalationLevelDto {
  @ApiProperty({ type: 'integer', minimum: 1, maximum: 100 })
  @IsInt()
  @Min(1)
  @Max(100)
  level!: number;

  @ApiProperty({
    minimum: 0,
    maximum: 10080,
    description: 'After the previous level (or creation); fractions allowed',
  })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(10080)
  delay_minutes!: number;

  @ApiPropertyOptional({ type: [EscalationTargetDto] })
  @IsOptionalButNotNull()
  @IsArray()
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => EscalationTargetDto)
  targets?: EscalationTargetDto[];

  @ApiPropertyOptional({ enum: SEVERITIES, nullable: true, description: 'null or absent: no raise' })
  @IsOptional()
  @IsIn(SEVERITIES)
  raise_to_severity?: Severity | null;

  @ApiPropertyOptional({ default: true })
  @IsOptionalButNotNull()
  @IsBoolean()
  stop_on_ack?: boolean;
}

/** POST (create) and PUT (replace) body of an escalation policy. */
export class EscalationPolicyDto extends DefinitionDto {
  @ApiPropertyOptional({ enum: SEVERITIES, isArray: true, description: 'Empty or absent: every severity' })
  @IsOptionalButNotNull()
  @IsArray()
  @ArrayMaxSize(SEVERITIES.length)
  @IsIn(SEVERITIES, { each: true })
  severities?: Severity[];

  @ApiProperty({ type: [EscalationLevelDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => EscalationLevelDto)
  levels!: EscalationLevelDto[];

  @ApiPropertyOptional({ type: 'integer', default: 0, minimum: 0, maximum: 10 })
  @IsOptionalButNotNull()
  @IsInt()
  @Min(0)
  @Max(10)
  repeat?: number;
}
