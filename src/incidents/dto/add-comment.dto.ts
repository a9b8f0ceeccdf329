import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';
import { LIMITS } from '../../common/string-map.validator';
import { IsOptionalButNotNull } from '../../common/validation';

export class AddCommentDto {
  @ApiPropertyOptional({ description: "Required unless the request's credential names the author" })
  @IsOptionalButNotNull()
  @IsString()
  @Length(1, LIMITS.actor)
  author?: string;

  @ApiProperty({ minLength: 1, maxLength: LIMITS.comment })
  @IsString()
  @Length(1, LIMITS.comment)
  comment!: string;
}
