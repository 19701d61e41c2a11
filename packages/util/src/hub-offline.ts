/**
 * Hugging Face's offline switch as its libraries read it: HF_HUB_OFFLINE set to 1, true, yes or on.
 * Every package that downloads from the Hub (models, TACO data) asks here, so they agree.
 */
export function hubOffline(): boolean {
  return ['1', 'true', 'yes', 'on'].includes((process.env.HF_HUB_OFFLINE ?? '').trim().toLowerCase());
}
