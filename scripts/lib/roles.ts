/** grant-role / revoke-role: ROLE and ACCOUNT from env, sent by the fund admin (signer 0). */
import hre from "hardhat";

import { connectFund } from "./context";
import { ScriptInputError, parseAddress, parseRole } from "./inputs";

export async function changeRole(action: "grant" | "revoke"): Promise<void> {
  const { role, id } = parseRole(process.env);
  const account = parseAddress(process.env, "ACCOUNT", `the address to ${action} ${role} ${action === "grant" ? "to" : "from"}`);
  const fund = await connectFund(hre, process.env);
  const [admin] = await hre.ethers.getSigners();
  if (admin === undefined) throw new ScriptInputError(`network "${hre.network.name}" has no signer — set DEPLOYER_PRIVATE_KEY`);
  const currentAdmin = await fund.defaultAdmin();
  if (currentAdmin !== admin.address) {
    throw new ScriptInputError(`signer ${admin.address} is not the fund admin (${currentAdmin}) — run with the admin key`);
  }
  const holds = await fund.hasRole(id, account);
  if (holds === (action === "grant")) {
    console.log(`${account} ${holds ? "already holds" : "does not hold"} ${role}: nothing to do`);
    return;
  }
  const tx = action === "grant" ? await fund.connect(admin).grantRole(id, account) : await fund.connect(admin).revokeRole(id, account);
  await tx.wait();
  console.log(`${action === "grant" ? "granted" : "revoked"} ${role} ${action === "grant" ? "to" : "from"} ${account} (tx ${tx.hash})`);
}
