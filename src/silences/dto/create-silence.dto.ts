import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';
import { IsLabelMatchers, LabelMatcher, MATCH_OPERATORS, MatchOperator } from '../../common/label-matchers';
import { IsRfc3339 } from '../../common/rfc3339';
import { LIMITS } from '../../common/string-map.validator';
import { IsOptionalButNotNull } from '../../common/validation';

/** OpenAPI shape of a label matcher (validated by IsLabelMatchers). */
@ApiSchema({ name: 'LabelMatcher' })
export class LabelMatcherSchema implements LabelMatcher {
  @ApiProperty({ minLength: 1, maxLength: 128, example: 'alertname' })
  name!: string;

  @ApiProperty({ enum: MATCH_OPERATORS, example: '=~' })
  op!: MatchOperator;

  @ApiProperty({ maxLength: 1024, example: 'HighLatency|HighErrorRate' })
  value!: string;
}

/** `POST /v1/silences` (contract section 10). */
export class CreateSilenceDto {
  @ApiProperty({
    type: [LabelMatcherSchema],
    minItems: 1,
    maxItems: 64,
    description:
      "Matched against the alert's labels plus severity, source and alert_type (which take precedence over " +
      'labels of those names); at least one must not match the empty string',
  })
  @IsLabelMatchers(1)
  matchers!: LabelMatcher[];

  @ApiProperty({
    format: 'date-time',
    example: '2026-12-01T10:00:00Z',
    description: 'RFC 3339 with an offset',
  })
  @IsRfc3339()
  starts_at!: string;

  @ApiProperty({
    format: 'date-time',
    example: '2026-12-01T12:00:00Z',
    description: 'RFC 3339 with an offset, after starts_at and in the future',
  })
  @IsRfc3339()
  ends_at!: string;

  @ApiPropertyOptional({
    minLength: 1,
    maxLength: LIMITS.actor,
    description: "Default: the credential's name (required when AUTH_MODE=none)",
  })
  @IsOptionalButNotNull()
  @IsString()
  @Length(1, LIMITS.actor)
  created_by?: string;

  @ApiProperty({ minLength: 1, maxLength: LIMITS.comment, example: 'Planned database maintenance' })
  @IsString()
  @Length(1, LIMITS.comment)
  comment!: string;
}
