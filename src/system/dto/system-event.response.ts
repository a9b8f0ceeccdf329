import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import type { PublishedSystemEvent } from '../system-event';

/** OpenAPI shape of the answer to `POST /v1/system/events`: the notice as published. */
@ApiSchema({ name: 'PublishedSystemEvent' })
export class PublishedSystemEventSchema implements PublishedSystemEvent {
  @ApiProperty({ example: 'maintenance' })
  category!: string;

  @ApiProperty()
  message!: string;

  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } })
  metadata!: Record<string, string>;

  @ApiProperty({ format: 'date-time' })
  timestamp!: string;
}
