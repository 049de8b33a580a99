/** An IANA time zone name the platform knows (e.g. Europe/Berlin); the config and the date code share this test. */
export const isValidTimeZone = (timeZone: string): boolean => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
};
