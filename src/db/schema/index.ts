export * from './people';
export * from './cases';
export * from './sla';
export * from './outbox';
export * from './channels';
export * from './board';
