import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsString, Length, MaxLength } from 'class-validator';
import { IsOptionalButNotNull } from './validation';

/** Name, description and switch that every user definition (escalation policy, playbook) has. */
export class DefinitionDto {
  @ApiProperty({ minLength: 1, maxLength: 128 })
  @IsString()
  @Length(1, 128)
  name!: string;

  @ApiPropertyOptional({ maxLength: 2000 })
  @IsOptionalButNotNull()
  @IsString()
  @MaxLength(2000)
  description?: string;

  @ApiPropertyOptional({
    default: true,
    description: 'A disabled definition is kept but never applied automatically',
  })
  @IsOptionalButNotNull()
  @IsBoolean()
  enabled?: boolean;
}
