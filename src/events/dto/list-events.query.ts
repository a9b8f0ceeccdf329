import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { IsOptionalButNotNull, toSafeInteger } from '../../common/validation';

export class ListEventsQuery {
  @ApiPropertyOptional({
    type: 'integer',
    description: 'Only events with a greater sequence (resume after a reconnect)',
    default: 0,
    minimum: 0,
  })
  @IsOptionalButNotNull()
  @Transform(toSafeInteger)
  @IsInt()
  @Min(0)
  after_sequence = 0;

  @ApiPropertyOptional({ type: 'integer', default: 100, minimum: 1, maximum: 1000 })
  @IsOptionalButNotNull()
  @Transform(toSafeInteger)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit = 100;
}
