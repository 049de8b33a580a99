import type { Random } from './random.js';

/**
 * A worker as the fuzzer imagines them, before any provider's format: each provider's adapter
 * (test/support/fuzz/providers.ts) writes this person in its own shape, in a delivery or in its
 * API emulator. The values stay within what the product documents as valid (docs/reference/hris-webhooks.md),
 * with unusual-but-legal text mixed in; invalid values are the mutations' business.
 */
export interface Person {
  key: string;
  firstName: string;
  lastName: string;
  email: string;
  title: string;
  department: string;
  team: string | null;
  location: string;
  employmentType: 'employee' | 'contractor' | 'intern' | 'temporary';
  status: 'active' | 'pending' | 'terminated';
  startDate: string;
  endDate: string | null;
  terminationDate: string | null;
}

const firstNames = ['Priya', 'Marcus', 'Dana', 'Li', 'Sofia', 'Jörg', 'Zoë', 'Łukasz', 'Nguyễn', 'Ólafur', 'Aroha', '明', 'Фёдор', 'O\'Brien', 'Anne-Marie'];
const lastNames = ['Raman', 'Oyelaran', 'Whitfield', 'Chen', 'Marquez', 'Müller', 'Ødegård', 'Smith Jr.', 'van der Berg', '山田', 'Ибрагимов', 'Ní Bhriain'];
const departments = ['Engineering', 'Finance', 'Accounting', 'Sales', 'Customer Success', 'IT', 'Marketing', 'engineering', 'Ingeniería', '研究開発'];
const titles = ['Software Engineer', 'Senior SRE', 'Accountant', 'Account Executive', 'Customer Success Manager', 'IT Admin', 'Designer', 'Staff Engineer II', 'Ingénieur logiciel', 'Intern'];
const teams = ['Platform', 'Onboarding', 'Mid-Market', null, null];
const locations = ['Berlin', 'Remote - US', 'Chicago', 'São Paulo', 'Zürich', 'Tōkyō'];

/** A calendar day `offsetDays` from today (UTC). */
export const day = (offsetDays: number, now = Date.now()) => new Date(now + offsetDays * 86_400_000).toISOString().slice(0, 10);

export function newPerson(random: Random, key: string): Person {
  const firstName = random.pick(firstNames);
  const lastName = random.pick(lastNames);
  const person: Person = {
    key,
    firstName,
    lastName,
    // Unique per person: two workers sharing an e-mail is the identity tests' subject, not this one's.
    email: `w${random.hex(10)}@example.com`,
    title: random.pick(titles),
    department: random.pick(departments),
    team: random.pick(teams),
    location: random.pick(locations),
    employmentType: random.weighted([['employee', 8], ['contractor', 2], ['intern', 1], ['temporary', 1]] as const),
    status: 'active',
    startDate: day(-random.int(0, 3000)),
    endDate: null,
    terminationDate: null,
  };
  if (random.chance(0.1)) Object.assign(person, { status: 'pending', startDate: day(random.int(1, 90)) });
  if (person.employmentType !== 'employee' && random.chance(0.5)) person.endDate = day(random.int(-30, 365));
  return person;
}

/** What happens next to a person in the HR system: a role change, a termination, a rehire, a contract end. */
export function evolve(random: Random, person: Person): Person {
  if (person.status === 'terminated') {
    return random.chance(0.3) ? { ...person, status: 'active', terminationDate: null, startDate: day(-random.int(0, 10)) } : person;
  }
  return random.weighted<() => Person>([
    [() => ({ ...person, title: random.pick(titles), department: random.pick(departments), team: random.pick(teams) }), 5],
    [() => ({ ...person, location: random.pick(locations) }), 1],
    [() => ({ ...person, status: 'active' }), 1],
    [() => ({ ...person, status: 'terminated', terminationDate: day(-random.int(0, 30)) }), 2],
    // Recorded ahead of time: decide() revokes at the end of that day, the sweeper's business.
    [() => ({ ...person, terminationDate: day(random.int(1, 60)) }), 1],
    [() => ({ ...person, employmentType: 'contractor', endDate: day(random.int(-5, 120)) }), 1],
  ])();
}
