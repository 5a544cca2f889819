// The catalog's GraphQL schema, in SDL: the same reads as the REST API (GET /v1/products,
// /v1/products/{id}, /v2/categories, /v1/search/products), one graph. Read-only: writes stay
// on REST, where each has its own URL, status codes and permission check. Descriptions here
// are what GraphiQL shows; docs/rest-vs-graphql.md compares the two APIs.
export const schema = /* GraphQL */ `
  """
  Catalog reads. Anonymous callers see active products; a token with catalog:write also sees
  drafts (product by id) and exact stock counts, exactly as on the REST API.
  """
  type Query {
    """
    Active products, with the filters, sorts and keyset cursors of GET /v1/products. Pass
    pageInfo.endCursor back as \`after\`, with the same sort, for the next page.
    """
    products(
      filter: ProductFilter
      sort: ProductSort = NEWEST
      "Page size, 1 to 100."
      first: Int = 20
      after: String
    ): ProductConnection

    "One live product; a draft only with catalog:write (as GET /v1/products/{id})."
    product(id: ID!): Product

    "The category tree: roots by name, each with its subcategories nested (as GET /v2/categories)."
    categories: [Category!]

    "Full-text search over active products, most relevant first (as GET /v1/search/products)."
    search(
      "Web-search syntax: words are ANDed, \\"a phrase\\", or, -excluded. 1 to 200 characters."
      q: String!
      "Page size, 1 to 50."
      first: Int = 20
      after: String
    ): SearchConnection
  }

  input ProductFilter {
    "This category and every one below it."
    categoryId: ID
    "Minor units, inclusive."
    minPrice: Int
    "Minor units, inclusive."
    maxPrice: Int
    "true: products with units available to reserve; false: those without (REST: inStock)."
    inStock: Boolean
    "Up to 5; a product must hold every one (REST: attr.<key>=<value>)."
    attributes: [AttributeFilter!]
  }

  input AttributeFilter {
    key: String!
    "Matches the text, or the number or boolean it spells (\\"16\\" matches 16)."
    value: String!
  }

  enum ProductSort {
    NEWEST
    PRICE_ASC
    PRICE_DESC
  }

  enum ProductStatus {
    DRAFT
    ACTIVE
    ARCHIVED
  }

  "A flat JSON object: attribute key to string, number or boolean."
  scalar Attributes

  type Product {
    id: ID!
    sku: String!
    name: String!
    description: String
    "Price in minor units of currency (cents for EUR)."
    priceMinor: Int!
    "ISO 4217."
    currency: String!
    attributes: Attributes!
    status: ProductStatus!
    category: Category!
    """
    Exact stock counts. Staff data, as on REST (GET /v1/products/{id}/inventory): needs
    catalog:write, and is null with an unauthorized or forbidden error otherwise.
    """
    stock: Stock
    "RFC 3339 date-time."
    createdAt: String!
    "RFC 3339 date-time."
    updatedAt: String!
  }

  type Category {
    id: ID!
    slug: String!
    name: String!
    "Subcategories, by name; empty for a leaf."
    children: [Category!]!
  }

  type Stock {
    "Units in the warehouse, reserved ones included."
    onHand: Int!
    "Units held by open reservations."
    reserved: Int!
    "onHand - reserved: what can still be reserved."
    available: Int!
    "RFC 3339 date-time; null until stock is first set."
    updatedAt: String
  }

  type PageInfo {
    "Pass as \`after\` for the next page; null on the last page."
    endCursor: String
    hasNextPage: Boolean!
  }

  type ProductConnection {
    nodes: [Product!]!
    pageInfo: PageInfo!
  }

  type SearchHit {
    id: ID!
    sku: String!
    name: String!
    priceMinor: Int!
    currency: String!
    "ts_rank_cd: higher is more relevant; a name match weighs most."
    rank: Float!
    "A snippet with matched words wrapped in **. Plain text, not HTML."
    headline: String!
  }

  type SearchConnection {
    nodes: [SearchHit!]!
    pageInfo: PageInfo!
  }
`;
