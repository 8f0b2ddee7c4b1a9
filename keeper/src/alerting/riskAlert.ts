/** Turns a risk move detected by the policy into an alert. */
import type { RiskAlert } from "../policy/riskPush";
import type { Alert, AlertSeverity } from "./types";

export function riskAlertToAlert(riskAlert: RiskAlert, label?: string): Alert {
  const name = label ?? riskAlert.protocol;
  const direction = riskAlert.delta > 0 ? "rose" : riskAlert.delta < 0 ? "fell" : "changed category";
  // Rising risk is actionable (worse into HIGH/CRITICAL); falling risk is news.
  const severity: AlertSeverity =
    riskAlert.delta <= 0
      ? "info"
      : riskAlert.to.category === "CRITICAL" || riskAlert.to.category === "HIGH"
        ? "critical"
        : "warning";
  const signedDelta = riskAlert.delta > 0 ? `+${riskAlert.delta}` : String(riskAlert.delta);
  return {
    severity,
    title: `${name} risk ${direction} ${riskAlert.from.composite} -> ${riskAlert.to.composite}`,
    message:
      `Composite ${riskAlert.from.composite} -> ${riskAlert.to.composite} (${signedDelta}), ` +
      `category ${riskAlert.from.category} -> ${riskAlert.to.category}.`,
    protocol: riskAlert.protocol,
    fields: [
      { label: "Composite", value: `${riskAlert.from.composite} -> ${riskAlert.to.composite} (${signedDelta})` },
      { label: "Category", value: `${riskAlert.from.category} -> ${riskAlert.to.category}` },
      { label: "Rules", value: riskAlert.kinds.join(", ") },
    ],
    at: riskAlert.assessedAt,
    dedupKey: `sif-keeper/${riskAlert.protocol}/risk-${direction}`,
  };
}
