import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';
import { LIMITS } from '../../common/string-map.validator';

export class AddCommentDto {
  @ApiProperty()
  @IsString()
  @Length(1, LIMITS.actor)
  author!: string;

  @ApiProperty({ minLength: 1, maxLength: LIMITS.comment })
  @IsString()
  @Length(1, LIMITS.comment)
  comment!: string;
}
