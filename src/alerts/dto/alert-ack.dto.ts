import { ApiProperty } from '@nestjs/swagger';
import { AckStatus } from '../alert-input';

/** OpenAPI shape of an ack (AlertAck). */
export class AlertAckDto {
  @ApiProperty({ format: 'uuid', nullable: true, type: String })
  alert_id!: string | null;

  @ApiProperty({ format: 'uuid', nullable: true, type: String })
  incident_id!: string | null;

  @ApiProperty({ enum: Object.values(AckStatus) })
  status!: AckStatus;

  @ApiProperty()
  message!: string;
}

/** OpenAPI shape of the answer of the routes that take several alerts: one ack per alert, in their order. */
export class AlertAcksDto {
  @ApiProperty({ type: [AlertAckDto] })
  acks!: AlertAckDto[];
}
