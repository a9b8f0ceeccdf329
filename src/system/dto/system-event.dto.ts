import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotIn, IsString, Length, Matches } from 'class-validator';
import { IsStringMap } from '../../common/string-map.validator';
import { IsOptionalButNotNull } from '../../common/validation';
import { SERVER_CATEGORIES } from '../system-event';

export class SystemEventDto {
  @ApiProperty({
    example: 'maintenance',
    description: `Letters, digits and . _ : -; ${SERVER_CATEGORIES.join(' and ')} are reserved for the server`,
  })
  @IsString()
  @Length(1, 64)
  @Matches(/^[A-Za-z0-9._:-]+$/, { message: 'category may contain only letters, digits and . _ : -' })
  @IsNotIn(SERVER_CATEGORIES, {
    message: `category must not be one the server uses (${SERVER_CATEGORIES.join(', ')})`,
  })
  category!: string;

  @ApiProperty({
    minLength: 1,
    maxLength: 2000,
    example: 'Database failover at 22:00 UTC, expect 2 minutes of errors',
  })
  @IsString()
  @Length(1, 2000)
  message!: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' } })
  @IsOptionalButNotNull()
  @IsStringMap()
  metadata?: Record<string, string>;
}
