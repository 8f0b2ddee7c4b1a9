/**
 * Grants a fund role. ROLE=RISK_ORACLE_ROLE|CLAIMS_ASSESSOR_ROLE|GUARDIAN_ROLE ACCOUNT=0x...
 * [FUND_ADDRESS=0x... — default: the deployment of the chain]
 *   ROLE=GUARDIAN_ROLE ACCOUNT=0x... npx hardhat run --network localhost scripts/grant-role.ts
 */
import { runScript } from "./lib/context";
import { changeRole } from "./lib/roles";

runScript(() => changeRole("grant"));
