import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { SILENCE_STATUSES } from '../silence';
import type { SilenceStatus, SilenceView } from '../silence';
import { LabelMatcherSchema } from './create-silence.dto';

/** OpenAPI shape of a silence as the API answers it (SilenceView): with its status at the time of the answer. */
@ApiSchema({ name: 'Silence' })
export class SilenceSchema implements SilenceView {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ type: [LabelMatcherSchema] })
  matchers!: LabelMatcherSchema[];

  @ApiProperty({ format: 'date-time' })
  starts_at!: string;

  @ApiProperty({ format: 'date-time' })
  ends_at!: string;

  @ApiProperty()
  created_by!: string;

  @ApiProperty()
  comment!: string;

  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  @ApiProperty({ format: 'date-time' })
  updated_at!: string;

  @ApiProperty({
    enum: SILENCE_STATUSES,
    description: 'pending before starts_at, active until ends_at, then expired',
  })
  status!: SilenceStatus;
}

@ApiSchema({ name: 'SilenceList' })
export class SilenceListSchema {
  @ApiProperty({ type: [SilenceSchema], description: 'Newest first' })
  silences!: SilenceSchema[];
}
