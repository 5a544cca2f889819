// The demo catalog `pnpm start` seeds: a category tree four levels deep at most and ~3,000
// active products with stock, generated from a seeded PRNG so every run (and every machine)
// produces the same names, SKUs, prices and attributes. The original seven demo products keep
// their SKUs. Loading is a handful of set-based statements (unnest arrays), idempotent:
// categories are upserted by slug, products and stock inserted once by SKU (ON CONFLICT DO
// NOTHING), so edits made through the API survive a restart and a warm start is cheap.
import type pg from 'pg';
import type { ProductAttributes } from './schema/index.ts';

/** mulberry32: a small, fast 32-bit PRNG; the same seed gives the same sequence everywhere. */
export function createRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface DemoCategory {
  slug: string;
  name: string;
  parent: string | null;
  depth: number;
}

export interface DemoProduct {
  sku: string;
  name: string;
  description: string;
  priceMinor: number;
  category: string;
  attributes: ProductAttributes;
  onHand: number;
}

export interface DemoCatalog {
  categories: DemoCategory[];
  products: DemoProduct[];
}

type AttrPool = Record<string, ReadonlyArray<string | number | boolean>>;

/** A leaf category's product recipe. */
interface Leaf {
  code: string; // SKU part, [A-Z0-9]+
  noun: string;
  brands: string[];
  series: string[];
  price: [number, number]; // whole euros
  attrs: AttrPool;
  features: string[];
  book?: boolean;
}

interface Node {
  slug: string;
  name: string;
  leaf?: Leaf;
  children?: Node[];
}

const COLOURS = ['black', 'silver', 'white', 'graphite', 'blue', 'green', 'red', 'sand'];
const TECH = ['Lumen', 'Aero', 'Vertex', 'Nordlys', 'Kestrel', 'Quanta', 'Halcyon', 'Orbit'];
const HOME = ['Brava', 'Kettleby', 'Ostrava', 'Maison Fer', 'Hearthly', 'Tamper & Co'];
const OUTDOOR = ['Fjellstad', 'Ridgeway', 'Pacer', 'Cairn', 'Velostar', 'Trailhead'];
const PUBLISHERS = ['Harbour Press', 'Lantern Books', 'Quill & Crane', 'Northfield'];

const leaf = (
  slug: string,
  name: string,
  l: Omit<Leaf, 'brands'> & { brands?: string[] },
): Node => ({ slug, name, leaf: { brands: TECH, ...l } });

// Slugs are unique across the tree (the column is); the original demo slugs are kept.
const TREE: Node[] = [
  {
    slug: 'electronics',
    name: 'Electronics',
    children: [
      {
        slug: 'computers',
        name: 'Computers',
        children: [
          {
            slug: 'laptops',
            name: 'Laptops',
            children: [
              leaf('ultrabooks', 'Ultrabooks', {
                code: 'ULB',
                noun: 'ultrabook',
                series: ['Air', 'Slim', 'Pro', 'Go'],
                price: [799, 2199],
                attrs: {
                  colour: COLOURS,
                  ram_gb: [8, 16, 32],
                  screen_in: [13, 14, 15],
                  touchscreen: [true, false],
                },
                features: [
                  'an all-day battery',
                  'a backlit keyboard',
                  'two Thunderbolt ports',
                  'a fanless design',
                  'a 1080p webcam',
                ],
              }),
              leaf('gaming-laptops', 'Gaming laptops', {
                code: 'GML',
                noun: 'gaming laptop',
                series: ['Forge', 'Blaze', 'Titan', 'Strike'],
                price: [1199, 3499],
                attrs: {
                  colour: ['black', 'graphite'],
                  ram_gb: [16, 32, 64],
                  screen_in: [15, 16, 17],
                  refresh_hz: [144, 165, 240],
                },
                features: [
                  'a discrete graphics card',
                  'per-key RGB lighting',
                  'vapour-chamber cooling',
                  'a 1 TB NVMe drive',
                ],
              }),
              leaf('convertible-laptops', '2-in-1 laptops', {
                code: 'CVL',
                noun: '2-in-1 laptop',
                series: ['Flex', 'Fold', 'Duo'],
                price: [649, 1799],
                attrs: {
                  colour: COLOURS,
                  ram_gb: [8, 16],
                  screen_in: [12, 13, 14],
                  stylus: [true, false],
                },
                features: [
                  'a 360-degree hinge',
                  'pen support',
                  'a detachable keyboard',
                  'a bright glossy screen',
                ],
              }),
            ],
          },
          {
            slug: 'desktops',
            name: 'Desktops',
            children: [
              leaf('gaming-desktops', 'Gaming desktops', {
                code: 'GMD',
                noun: 'gaming desktop',
                series: ['Tower', 'Rig', 'Apex'],
                price: [999, 3999],
                attrs: {
                  ram_gb: [16, 32, 64],
                  storage_gb: [1000, 2000, 4000],
                  liquid_cooling: [true, false],
                },
                features: ['a tempered-glass case', 'room for four drives', 'a 850 W power supply'],
              }),
              leaf('mini-pcs', 'Mini PCs', {
                code: 'MPC',
                noun: 'mini PC',
                series: ['Cube', 'Nano', 'Brick'],
                price: [249, 899],
                attrs: {
                  colour: ['black', 'silver'],
                  ram_gb: [8, 16, 32],
                  storage_gb: [256, 512, 1000],
                },
                features: ['a VESA mount', 'dual HDMI outputs', 'near-silent cooling'],
              }),
            ],
          },
          leaf('monitors', 'Monitors', {
            code: 'MON',
            noun: 'monitor',
            series: ['View', 'Vista', 'Clear'],
            price: [149, 1299],
            attrs: {
              screen_in: [24, 27, 32, 34],
              resolution: ['1080p', '1440p', '4K'],
              refresh_hz: [60, 75, 144, 165],
            },
            features: [
              'a height-adjustable stand',
              'USB-C with 90 W charging',
              'factory colour calibration',
            ],
          }),
          {
            slug: 'computer-accessories',
            name: 'Computer accessories',
            children: [
              leaf('keyboards', 'Keyboards', {
                code: 'KBD',
                noun: 'keyboard',
                series: ['Type', 'Clack', 'Key'],
                price: [29, 229],
                attrs: {
                  colour: COLOURS,
                  layout: ['US', 'UK', 'DE', 'FR'],
                  mechanical: [true, false],
                  wireless: [true, false],
                },
                features: ['hot-swappable switches', 'a USB-C cable', 'multi-device Bluetooth'],
              }),
              leaf('mice', 'Mice', {
                code: 'MSE',
                noun: 'mouse',
                series: ['Glide', 'Point', 'Swift'],
                price: [15, 149],
                attrs: {
                  colour: COLOURS,
                  dpi: [1600, 4000, 16000, 26000],
                  wireless: [true, false],
                },
                features: ['a silent click', 'a rechargeable battery', 'an ergonomic shape'],
              }),
            ],
          },
        ],
      },
      {
        slug: 'phones',
        name: 'Phones',
        children: [
          leaf('smartphones', 'Smartphones', {
            code: 'SPH',
            noun: 'smartphone',
            series: ['Orbit', 'Pulse', 'Nova', 'Edge'],
            price: [199, 1399],
            attrs: { colour: COLOURS, storage_gb: [64, 128, 256, 512], screen_in: [5.8, 6.1, 6.7] },
            features: [
              'a two-day battery',
              'a triple camera',
              'wireless charging',
              'an IP68 rating',
            ],
          }),
          leaf('phone-cases', 'Phone cases', {
            code: 'PCS',
            noun: 'phone case',
            series: ['Shell', 'Armor', 'Clear'],
            price: [9, 59],
            attrs: { colour: COLOURS, material: ['silicone', 'leather', 'polycarbonate'] },
            features: [
              'raised camera edges',
              'a MagSafe-compatible ring',
              'drop protection to 3 m',
            ],
          }),
          leaf('chargers', 'Chargers & cables', {
            code: 'CHG',
            noun: 'charger',
            series: ['Volt', 'Amp', 'Charge'],
            price: [9, 99],
            attrs: { colour: ['black', 'white'], watts: [20, 30, 65, 100, 140], ports: [1, 2, 3] },
            features: ['GaN circuitry', 'a folding plug', 'a braided cable'],
          }),
        ],
      },
      {
        slug: 'audio',
        name: 'Audio',
        children: [
          {
            slug: 'headphones',
            name: 'Headphones',
            children: [
              leaf('over-ear-headphones', 'Over-ear headphones', {
                code: 'OEH',
                noun: 'over-ear headphones',
                series: ['Studio', 'Quiet', 'Hush'],
                price: [59, 449],
                attrs: {
                  colour: COLOURS,
                  noise_cancelling: [true, false],
                  battery_h: [20, 30, 40, 60],
                },
                features: ['memory-foam cushions', 'a folding frame', 'multipoint Bluetooth'],
              }),
              leaf('earbuds', 'True wireless earbuds', {
                code: 'EBD',
                noun: 'earbuds',
                series: ['Buds', 'Pods', 'Dot'],
                price: [29, 299],
                attrs: {
                  colour: COLOURS,
                  noise_cancelling: [true, false],
                  water_resistant: [true, false],
                },
                features: ['a wireless charging case', 'touch controls', 'three sizes of tips'],
              }),
            ],
          },
          leaf('speakers', 'Speakers', {
            code: 'SPK',
            noun: 'speaker',
            series: ['Boom', 'Echo', 'Room'],
            price: [39, 699],
            attrs: { colour: COLOURS, portable: [true, false], watts: [10, 20, 50, 120] },
            features: ['stereo pairing', 'a splash-proof body', 'room-filling bass'],
          }),
        ],
      },
      {
        slug: 'cameras',
        name: 'Cameras',
        children: [
          leaf('mirrorless-cameras', 'Mirrorless cameras', {
            code: 'MLC',
            noun: 'mirrorless camera',
            series: ['Frame', 'Shutter', 'Lens'],
            price: [499, 3499],
            attrs: {
              megapixels: [24, 33, 45, 61],
              full_frame: [true, false],
              colour: ['black', 'silver'],
            },
            features: [
              'in-body stabilisation',
              '4K video',
              'a weather-sealed body',
              'eye-tracking autofocus',
            ],
          }),
          leaf('camera-lenses', 'Lenses', {
            code: 'LNS',
            noun: 'lens',
            series: ['Prime', 'Zoom', 'Macro'],
            price: [199, 2499],
            attrs: {
              focal_mm: [24, 35, 50, 85, 135],
              aperture: ['f/1.4', 'f/1.8', 'f/2.8', 'f/4'],
            },
            features: ['a silent focus motor', 'a metal mount', 'nano-coated glass'],
          }),
        ],
      },
    ],
  },
  {
    slug: 'home',
    name: 'Home & Kitchen',
    children: [
      {
        slug: 'coffee',
        name: 'Coffee',
        children: [
          leaf('espresso-machines', 'Espresso machines', {
            code: 'ESP',
            noun: 'espresso machine',
            brands: HOME,
            series: ['Crema', 'Barista', 'Lever'],
            price: [149, 1999],
            attrs: {
              colour: ['black', 'silver', 'red', 'white'],
              boiler: ['single', 'dual', 'thermoblock'],
              bar: [9, 15, 19],
            },
            features: ['a steam wand', 'a PID temperature controller', 'a 58 mm portafilter'],
          }),
          leaf('coffee-grinders', 'Grinders', {
            code: 'GRD',
            noun: 'coffee grinder',
            brands: HOME,
            series: ['Burr', 'Mill', 'Grind'],
            price: [29, 599],
            attrs: {
              colour: ['black', 'silver', 'white'],
              electric: [true, false],
              burrs: ['conical', 'flat'],
            },
            features: ['forty grind settings', 'a low-retention chute', 'a dosing cup'],
          }),
          leaf('pour-over', 'Pour-over & filter', {
            code: 'POV',
            noun: 'pour-over brewer',
            brands: HOME,
            series: ['Drip', 'Bloom', 'Cone'],
            price: [12, 89],
            attrs: { material: ['ceramic', 'glass', 'steel', 'copper'], cups: [1, 2, 4, 6] },
            features: ['spiral ribs', 'a wide base', 'paper or metal filters'],
          }),
        ],
      },
      {
        slug: 'cookware',
        name: 'Cookware',
        children: [
          leaf('frying-pans', 'Frying pans', {
            code: 'PAN',
            noun: 'frying pan',
            brands: HOME,
            series: ['Sear', 'Skillet', 'Crepe'],
            price: [19, 179],
            attrs: {
              material: ['cast iron', 'carbon steel', 'stainless', 'non-stick'],
              diameter_cm: [20, 24, 28, 32],
              induction: [true, false],
            },
            features: ['an oven-safe handle', 'a pouring lip', 'even heat'],
          }),
          leaf('saucepans', 'Saucepans & pots', {
            code: 'POT',
            noun: 'saucepan',
            brands: HOME,
            series: ['Simmer', 'Stock', 'Braise'],
            price: [24, 249],
            attrs: {
              material: ['stainless', 'enamelled cast iron', 'copper'],
              litres: [1.5, 2, 3, 5, 8],
              induction: [true, false],
            },
            features: ['a glass lid', 'measuring marks inside', 'a tri-ply base'],
          }),
        ],
      },
      {
        slug: 'small-appliances',
        name: 'Small appliances',
        children: [
          leaf('kettles', 'Kettles', {
            code: 'KTL',
            noun: 'kettle',
            brands: HOME,
            series: ['Boil', 'Pour', 'Steam'],
            price: [19, 149],
            attrs: {
              colour: ['black', 'white', 'silver', 'sand'],
              litres: [1, 1.5, 1.7],
              variable_temp: [true, false],
            },
            features: ['a gooseneck spout', 'keep-warm mode', 'a limescale filter'],
          }),
          leaf('blenders', 'Blenders', {
            code: 'BLN',
            noun: 'blender',
            brands: HOME,
            series: ['Vortex', 'Pulse', 'Smooth'],
            price: [29, 499],
            attrs: {
              colour: ['black', 'white', 'red'],
              watts: [500, 900, 1400, 2000],
              litres: [0.6, 1.5, 2],
            },
            features: ['a tamper', 'a glass jug', 'six speeds'],
          }),
        ],
      },
      {
        slug: 'furniture',
        name: 'Furniture',
        children: [
          leaf('office-chairs', 'Office chairs', {
            code: 'CHR',
            noun: 'office chair',
            brands: HOME,
            series: ['Posture', 'Task', 'Lounge'],
            price: [89, 1199],
            attrs: {
              colour: ['black', 'grey', 'blue'],
              lumbar_support: [true, false],
              material: ['mesh', 'fabric', 'leather'],
            },
            features: ['4D armrests', 'a tilt lock', 'a five-year warranty'],
          }),
          leaf('desks', 'Desks', {
            code: 'DSK',
            noun: 'desk',
            brands: HOME,
            series: ['Stand', 'Oak', 'Studio'],
            price: [129, 999],
            attrs: {
              width_cm: [100, 120, 140, 160],
              standing: [true, false],
              finish: ['oak', 'walnut', 'white', 'black'],
            },
            features: ['a cable tray', 'dual motors', 'memory presets'],
          }),
        ],
      },
    ],
  },
  {
    slug: 'books',
    name: 'Books',
    children: [
      {
        slug: 'fiction',
        name: 'Fiction',
        children: [
          leaf('science-fiction', 'Science fiction', {
            code: 'BSF',
            noun: 'novel',
            brands: PUBLISHERS,
            series: ['The Last', 'Beyond the', 'Children of the', 'A Map of the'],
            price: [9, 29],
            attrs: { format: ['paperback', 'hardcover', 'ebook'], pages: [224, 312, 408, 560] },
            features: ['first contact', 'a generation ship', 'a failing terraform'],
            book: true,
          }),
          leaf('crime-fiction', 'Crime & thrillers', {
            code: 'BCR',
            noun: 'thriller',
            brands: PUBLISHERS,
            series: ['Death in the', 'The Silent', 'Murder at the', 'The Cold'],
            price: [8, 26],
            attrs: { format: ['paperback', 'hardcover', 'ebook'], pages: [256, 320, 384] },
            features: ['a locked-room mystery', 'a detective with a past', 'a small coastal town'],
            book: true,
          }),
        ],
      },
      {
        slug: 'non-fiction',
        name: 'Non-fiction',
        children: [
          {
            slug: 'computing-books',
            name: 'Computing',
            children: [
              leaf('database-books', 'Databases', {
                code: 'BDB',
                noun: 'guide',
                brands: PUBLISHERS,
                series: ['Practical', 'Designing', 'Mastering', 'Understanding'],
                price: [29, 69],
                attrs: { format: ['paperback', 'ebook'], pages: [280, 352, 480, 612] },
                features: ['query plans', 'indexing', 'replication', 'transactions and isolation'],
                book: true,
              }),
              leaf('programming-books', 'Programming', {
                code: 'BPR',
                noun: 'handbook',
                brands: PUBLISHERS,
                series: ['Effective', 'Learning', 'Idiomatic', 'Thinking in'],
                price: [25, 65],
                attrs: { format: ['paperback', 'ebook'], pages: [240, 336, 448, 720] },
                features: ['type systems', 'testing', 'concurrency', 'refactoring'],
                book: true,
              }),
            ],
          },
          leaf('cookbooks', 'Cooking', {
            code: 'BCK',
            noun: 'cookbook',
            brands: PUBLISHERS,
            series: ['Simple', 'Slow', 'Everyday', 'The New'],
            price: [15, 45],
            attrs: {
              format: ['hardcover', 'paperback'],
              pages: [192, 256, 320],
              vegetarian: [true, false],
            },
            features: ['weeknight dinners', 'baking bread', 'seasonal vegetables'],
            book: true,
          }),
        ],
      },
    ],
  },
  {
    slug: 'sports',
    name: 'Sports & Outdoors',
    children: [
      {
        slug: 'cycling',
        name: 'Cycling',
        children: [
          leaf('road-bikes', 'Road bikes', {
            code: 'RBK',
            noun: 'road bike',
            brands: OUTDOOR,
            series: ['Aero', 'Endurance', 'Climb'],
            price: [699, 5999],
            attrs: {
              frame: ['aluminium', 'carbon', 'steel'],
              size_cm: [50, 52, 54, 56, 58],
              gears: [16, 22, 24],
            },
            features: ['hydraulic disc brakes', 'tubeless-ready wheels', 'internal cable routing'],
          }),
          leaf('bike-helmets', 'Helmets', {
            code: 'HLM',
            noun: 'helmet',
            brands: OUTDOOR,
            series: ['Shield', 'Vent', 'Guard'],
            price: [39, 299],
            attrs: { colour: COLOURS, size: ['S', 'M', 'L'], mips: [true, false] },
            features: ['eighteen vents', 'a rear light', 'a magnetic buckle'],
          }),
        ],
      },
      {
        slug: 'camping',
        name: 'Camping',
        children: [
          leaf('tents', 'Tents', {
            code: 'TNT',
            noun: 'tent',
            brands: OUTDOOR,
            series: ['Dome', 'Tunnel', 'Summit'],
            price: [79, 899],
            attrs: { persons: [1, 2, 3, 4, 6], seasons: [3, 4], weight_kg: [1.2, 1.8, 2.5, 4.1] },
            features: ['two porches', 'colour-coded poles', 'a fully taped fly'],
          }),
          leaf('sleeping-bags', 'Sleeping bags', {
            code: 'SLB',
            noun: 'sleeping bag',
            brands: OUTDOOR,
            series: ['Down', 'Cocoon', 'Alpine'],
            price: [49, 599],
            attrs: {
              comfort_c: [-10, -5, 0, 5, 10],
              fill: ['down', 'synthetic'],
              colour: ['blue', 'green', 'red'],
            },
            features: ['a draught collar', 'a compression sack', 'a two-way zip'],
          }),
        ],
      },
      leaf('running-shoes', 'Running shoes', {
        code: 'RSH',
        noun: 'running shoes',
        brands: OUTDOOR,
        series: ['Stride', 'Tempo', 'Trail'],
        price: [59, 249],
        attrs: {
          colour: COLOURS,
          size_eu: [38, 39, 40, 41, 42, 43, 44, 45, 46],
          drop_mm: [4, 8, 10],
        },
        features: ['a carbon plate', 'a grippy outsole', 'a breathable knit upper'],
      }),
    ],
  },
];

/** The original demo products, unchanged (their SKUs may be referenced elsewhere). */
const CLASSIC: DemoProduct[] = [
  {
    sku: 'LAP-AERO-13',
    name: 'Aero 13 laptop',
    description: 'A thin, quiet 13-inch laptop for travel.',
    priceMinor: 129_900,
    category: 'laptops',
    attributes: { colour: 'silver', ram_gb: 16, touchscreen: false },
    onHand: 25,
  },
  {
    sku: 'LAP-FORGE-16',
    name: 'Forge 16 gaming laptop',
    description: 'A 16-inch laptop with a discrete graphics card.',
    priceMinor: 219_900,
    category: 'laptops',
    attributes: { colour: 'black', ram_gb: 32, touchscreen: false },
    onHand: 25,
  },
  {
    sku: 'PHN-ORBIT-6',
    name: 'Orbit 6 phone',
    description: 'A 6-inch phone with a two-day battery.',
    priceMinor: 59_900,
    category: 'phones',
    attributes: { colour: 'blue', storage_gb: 128 },
    onHand: 25,
  },
  {
    sku: 'PHN-ORBIT-6-MINI',
    name: 'Orbit 6 mini phone',
    description: 'The Orbit 6 in a smaller body.',
    priceMinor: 49_900,
    category: 'phones',
    attributes: { colour: 'green', storage_gb: 64 },
    onHand: 25,
  },
  {
    sku: 'COF-BURR-GRINDER',
    name: 'Burr coffee grinder',
    description: 'Conical burrs, forty grind settings, espresso to cold brew.',
    priceMinor: 8_900,
    category: 'coffee',
    attributes: { colour: 'black', electric: true },
    onHand: 25,
  },
  {
    sku: 'COF-MOKA-6',
    name: 'Stovetop moka pot, 6 cups',
    description: 'Aluminium moka pot for gas and electric hobs.',
    priceMinor: 3_490,
    category: 'coffee',
    attributes: { colour: 'silver', electric: false },
    onHand: 25,
  },
  {
    sku: 'BOOK-SQL-PERF',
    name: 'Fast SQL, explained',
    description: 'Indexes, query plans and keyset pagination, with examples.',
    priceMinor: 3_900,
    category: 'books',
    attributes: { format: 'paperback', pages: 312 },
    onHand: 25,
  },
];

export const DEMO_SEED = 20_240_404;
export const DEMO_PRODUCT_COUNT = 3_000;

const BOOK_TOPICS = [
  'Stars',
  'River',
  'Harbour',
  'Machine',
  'Orchard',
  'Winter',
  'Signal',
  'Garden',
  'Index',
  'Lighthouse',
];
const AUTHORS = [
  'A. Okafor',
  'M. Lindqvist',
  'R. Tanaka',
  'S. Moreau',
  'J. Alvarez',
  'K. Novak',
  'E. Brennan',
  'L. Haddad',
];

function flatten(
  nodes: Node[],
  parent: string | null,
  depth: number,
  out: DemoCategory[],
  leaves: Array<[string, Leaf]>,
) {
  for (const n of nodes) {
    out.push({ slug: n.slug, name: n.name, parent, depth });
    if (n.leaf) leaves.push([n.slug, n.leaf]);
    if (n.children) flatten(n.children, n.slug, depth + 1, out, leaves);
  }
}

const fmtAttr = (k: string, v: string | number | boolean): string => {
  const label = k.replace(/_/g, ' ');
  if (typeof v === 'boolean') return v ? label : `no ${label}`;
  return `${label} ${v}`;
};

/** Builds the demo catalog; pure and deterministic (the same seed gives the same catalog). */
export function buildDemoCatalog(seed = DEMO_SEED, productCount = DEMO_PRODUCT_COUNT): DemoCatalog {
  const rng = createRng(seed);
  const pick = <T>(xs: ReadonlyArray<T>): T => xs[Math.floor(rng() * xs.length)] as T;
  const int = (min: number, max: number) => min + Math.floor(rng() * (max - min + 1));

  const categories: DemoCategory[] = [];
  const leaves: Array<[string, Leaf]> = [];
  flatten(TREE, null, 1, categories, leaves);

  const products: DemoProduct[] = [...CLASSIC];
  const perLeaf = Math.ceil((productCount - CLASSIC.length) / leaves.length);
  let made = CLASSIC.length;
  for (const [slug, l] of leaves) {
    for (let i = 1; i <= perLeaf && made < productCount; i++, made++) {
      const attributes: ProductAttributes = {};
      for (const [k, vs] of Object.entries(l.attrs)) attributes[k] = pick(vs);
      const brand = pick(l.brands);
      const [fa, fb] = [pick(l.features), pick(l.features)];
      const features = fa === fb ? fa : `${fa} and ${fb}`;
      let name: string;
      let description: string;
      if (l.book) {
        const title = `${pick(l.series)} ${pick(BOOK_TOPICS)}`;
        const author = pick(AUTHORS);
        name = `${title} (${attributes.format})`;
        attributes.author = author;
        description = `A ${l.noun} by ${author} about ${features}, published by ${brand}. ${attributes.pages} pages.`;
      } else {
        const model = int(1, 9) * 100 + (rng() < 0.5 ? 0 : int(1, 9) * 10);
        const colour = typeof attributes.colour === 'string' ? ` ${attributes.colour}` : '';
        name = `${brand} ${pick(l.series)} ${model}${colour} ${l.noun}`;
        const specs = Object.entries(attributes)
          .filter(([k]) => k !== 'colour')
          .map(([k, v]) => fmtAttr(k, v))
          .join(', ');
        description = `The ${brand} ${l.noun} with ${features}. Specs: ${specs}. Two-year warranty.`;
      }
      // Prices end in .99 or .00 like a shop's; the range is the leaf's, in euros.
      const euros = int(l.price[0], l.price[1]);
      const priceMinor = euros * 100 + (rng() < 0.7 ? 99 : 0);
      products.push({
        sku: `DEMO-${l.code}-${String(i).padStart(4, '0')}`,
        name,
        description,
        priceMinor,
        category: slug,
        attributes,
        onHand: rng() < 0.08 ? 0 : int(1, 200),
      });
    }
  }
  return { categories, products };
}

export interface SeedResult {
  categories: number;
  productsInserted: number;
  inventoryInserted: number;
  products: number;
}

type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

/** Upserts the demo tree by slug, one statement per level (parents land before children). */
export async function upsertCategories(db: Queryable, cats: DemoCategory[]): Promise<void> {
  const maxDepth = Math.max(...cats.map((c) => c.depth));
  for (let d = 1; d <= maxDepth; d++) {
    const level = cats.filter((c) => c.depth === d);
    await db.query(
      `INSERT INTO catalog.categories (slug, name, parent_id)
       SELECT u.slug, u.name, p.id
         FROM unnest($1::text[], $2::text[], $3::text[]) AS u(slug, name, parent)
         LEFT JOIN catalog.categories p ON p.slug = u.parent
       ON CONFLICT (slug) DO UPDATE SET name = excluded.name, parent_id = excluded.parent_id
         WHERE categories.name IS DISTINCT FROM excluded.name
            OR categories.parent_id IS DISTINCT FROM excluded.parent_id`,
      [level.map((c) => c.slug), level.map((c) => c.name), level.map((c) => c.parent)],
    );
  }
}

/**
 * Seeds the demo catalog: safe on every start. Products and their stock are inserted once by
 * SKU, so API edits survive; created_at is staggered (newest first in generation order) so
 * the "newest" sort has something to show.
 */
export async function seedDemoCatalog(
  db: Queryable,
  catalog = buildDemoCatalog(),
): Promise<SeedResult> {
  await upsertCategories(db, catalog.categories);
  const ps = catalog.products;
  const skus = ps.map((p) => p.sku);
  // Warm start: everything is there already, so skip the big statements entirely.
  const { rows: present } = await db.query<{ n: number; stocked: number }>(
    `SELECT count(*)::int AS n, count(i.product_id)::int AS stocked
       FROM catalog.products p LEFT JOIN catalog.inventory i ON i.product_id = p.id
      WHERE p.sku = ANY($1::text[])`,
    [skus],
  );
  if (present[0]?.n === ps.length && present[0]?.stocked === ps.length) {
    return {
      categories: catalog.categories.length,
      productsInserted: 0,
      inventoryInserted: 0,
      products: ps.length,
    };
  }
  const inserted = await db.query(
    `INSERT INTO catalog.products
       (sku, name, description, price_minor, currency, attributes, status, category_id, created_at)
     SELECT u.sku, u.name, u.description, u.price_minor, 'EUR', u.attributes, 'active', c.id,
            now() - u.ord * interval '17 minutes'
       FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::jsonb[], $6::text[])
              WITH ORDINALITY AS u(sku, name, description, price_minor, attributes, category, ord)
       JOIN catalog.categories c ON c.slug = u.category
     ORDER BY u.ord
     ON CONFLICT (sku) DO NOTHING`,
    [
      skus,
      ps.map((p) => p.name),
      ps.map((p) => p.description),
      ps.map((p) => p.priceMinor),
      ps.map((p) => JSON.stringify(p.attributes)),
      ps.map((p) => p.category),
    ],
  );
  const stocked = await db.query(
    `INSERT INTO catalog.inventory (product_id, on_hand)
     SELECT p.id, u.on_hand
       FROM unnest($1::text[], $2::int[]) AS u(sku, on_hand)
       JOIN catalog.products p ON p.sku = u.sku
     ON CONFLICT (product_id) DO NOTHING`,
    [skus, ps.map((p) => p.onHand)],
  );
  return {
    categories: catalog.categories.length,
    productsInserted: inserted.rowCount ?? 0,
    inventoryInserted: stocked.rowCount ?? 0,
    products: ps.length,
  };
}
