import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { AckStatus } from '../alert-input';

/** OpenAPI shape of an ack (AlertAck). */
@ApiSchema({ name: 'AlertAck' })
export class AlertAckDto {
  @ApiProperty({
    format: 'uuid',
    nullable: true,
    type: String,
    description: 'null for a resolved webhook alert that was never seen firing',
  })
  alert_id!: string | null;

  @ApiProperty({ format: 'uuid', nullable: true, type: String })
  incident_id!: string | null;

  @ApiProperty({ enum: Object.values(AckStatus) })
  status!: AckStatus;

  @ApiProperty()
  message!: string;
}

/** OpenAPI shape of the answer of the routes that take several alerts: one ack per alert, in their order. */
@ApiSchema({ name: 'AlertAckList' })
export class AlertAcksDto {
  @ApiProperty({ type: [AlertAckDto] })
  acks!: AlertAckDto[];
}
