import { FILTER_LABELS, FILTERS, type Filter, hashOf } from "../filter";

type Props = { current: Filter };

/** All / Active / Done, as links: the filter is part of the URL. */
export function TaskFilters({ current }: Props) {
  return (
    <nav aria-label="Filter tasks">
      <ul className="filters">
        {FILTERS.map((filter) => (
          <li key={filter}>
            <a href={hashOf(filter)} aria-current={filter === current ? "page" : undefined}>
              {FILTER_LABELS[filter]}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}
