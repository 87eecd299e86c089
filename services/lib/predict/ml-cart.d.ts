declare module 'ml-cart' {
  interface DecisionTreeRegressionOptions {
    maxDepth?: number;
    minNumSamples?: number;
    gainFunction?: string;
    splitFunction?: string;
  }
  class DecisionTreeRegression {
    constructor(options?: DecisionTreeRegressionOptions);
    train(trainingSet: number[][], trainingValues: number[]): void;
    predict(toPredict: number[][]): number[];
    toJSON(): unknown;
    static load(model: unknown): DecisionTreeRegression;
  }
  const cart: { DecisionTreeRegression: typeof DecisionTreeRegression };
  export default cart;
}
