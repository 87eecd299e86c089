import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A device remembers the enrollment token it registered with (null: the fleet's bootstrap token,
 * LATFLEET_ENROLLMENT_TOKEN, or a device registered before), so that revoking a token also revokes
 * the devices that enrolled with it instead of leaving their agents connected.
 */
export class DeviceEnrollmentToken1795900000000 implements MigrationInterface {
  name = 'DeviceEnrollmentToken1795900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "devices" ADD "enrollment_token_id" uuid`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "devices" DROP COLUMN "enrollment_token_id"`);
  }
}
