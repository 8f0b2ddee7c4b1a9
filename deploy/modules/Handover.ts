import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/**
 * The admin handover (docs/deploy.md, "Handover"): the deployer, admin of the fund AND of the Nexus
 * adapter, starts the two-step transfer of both to the governance multisig. Each transfer waits the
 * contract's `defaultAdminDelay()` (the fund's `adminDelay`; the adapter is deployed with the same
 * delay), then the multisig calls `acceptDefaultAdminTransfer()` on both. Until it does, the deployer
 * stays admin and can cancel with `cancelDefaultAdminTransfer()`.
 *
 * Parameters: `fund`, `adapter` (deployed addresses), `governance` (the multisig).
 */
export default buildModule("Handover", (m) => {
  const governance = m.getParameter<string>("governance");
  const fund = m.contractAt("StablecoinInsuranceFund", m.getParameter<string>("fund"), { id: "Fund" });
  const adapter = m.contractAt("NexusMutualAdapter", m.getParameter<string>("adapter"), { id: "Adapter" });
  m.call(fund, "beginDefaultAdminTransfer", [governance], { id: "fundAdminTransfer" });
  m.call(adapter, "beginDefaultAdminTransfer", [governance], { id: "adapterAdminTransfer" });
  return { fund, adapter };
});
