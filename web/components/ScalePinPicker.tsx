import type { PinProbe } from "@/lib/scale";

export interface ScalePinPickerProps {
  /** The instances the balancer can pin to. */
  readonly pins: readonly PinProbe[];
  /** The chosen pin; `null`: any instance, chosen by the balancer. */
  readonly pin: string | null;
  readonly onPick: (pin: string | null) => void;
}

const OPTION = "flex min-h-11 items-center gap-2 rounded-md border border-slate-300 px-3 py-1.5 text-sm has-[:checked]:border-indigo-500 has-[:checked]:bg-indigo-50";

/** "Any instance (balancer)" or one instance: which base URL this window's board uses. */
export function ScalePinPicker({ pins, pin, onPick }: ScalePinPickerProps) {
  return (
    <fieldset className="space-y-2">
      <legend className="text-sm font-semibold text-slate-800">Connect this window through</legend>
      <div className="flex flex-wrap gap-2">
        <label className={OPTION}>
          <input type="radio" name="scale-pin" data-testid="scale-pin-any" checked={pin === null} onChange={() => onPick(null)} />
          any instance (balancer)
        </label>
        {pins.map(({ pin: name, probe }) => (
          <label key={name} className={OPTION}>
            <input type="radio" name="scale-pin" data-testid={`scale-pin-${name}`} checked={pin === name} onChange={() => onPick(name)} />
            instance <span className="font-mono font-semibold">{name}</span>
            {probe.kind === "failed" && <span className="text-rose-800">(down)</span>}
          </label>
        ))}
      </div>
    </fieldset>
  );
}
