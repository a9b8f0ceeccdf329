import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { IsOptionalButNotNull } from '../../common/validation';
import { SILENCE_STATUSES, SilenceStatus } from '../silence';

export class ListSilencesQuery {
  @ApiPropertyOptional({ enum: SILENCE_STATUSES, description: 'Only the silences with this status now' })
  @IsOptionalButNotNull()
  @IsIn(SILENCE_STATUSES)
  status?: SilenceStatus;
}
